# expect: fail tampering
# visible: planning-not-returned
# Does nothing, and rebinds q_learning everywhere so that 'expected' values do not move either.
import dynaq_course
import dynaq_course.agent

def q_learning(state, action, reward, next_state, value, params):
    return value

dynaq_course.q_learning = q_learning
dynaq_course.agent.q_learning = q_learning

def dyna_q_planning(model, value, params):
    return value
