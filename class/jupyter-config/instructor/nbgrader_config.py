"""nbgrader settings of an instructor's server on the class hub (on JUPYTER_CONFIG_PATH).

The course folder is ~/course (start-class.sh makes it); its own nbgrader_config.py (the
repository's, with the class exchange written in) holds everything else, so the formgrader
and `nbgrader` in a terminal read the same settings.
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)
COURSE_CONFIG = os.path.expanduser("~/course/nbgrader_config.py")
if os.path.exists(COURSE_CONFIG):
    load_subconfig(COURSE_CONFIG)  # noqa: F821 (provided by traitlets)
c.CourseDirectory.root = os.path.expanduser("~/course")
c.Exchange.root = os.environ["DYNAQ_CLASS_EXCHANGE"]
