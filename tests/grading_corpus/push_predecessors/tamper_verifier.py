# expect: fail tampering
# visible: push-nothing
# Pushes nothing, and replaces the fresh-process verifier and the self-check.
import dynaq_course.grading.verify
import dynaq_course.checks
dynaq_course.grading.verify.assert_exercise_passes = lambda *args, **kwargs: None
dynaq_course.checks.self_check_push_predecessors = lambda fn: None


def push_predecessors(model, value, queue, state, params):
    return queue
