"""``python -m dynaq_course.editions``: build the three editions (the code is in ``grading.editions``)."""

import sys

from dynaq_course.grading import editions as _editions

if __name__ == "__main__":
    sys.exit(_editions.main())
sys.modules[__name__] = _editions  # ``import dynaq_course.editions`` is the module itself
