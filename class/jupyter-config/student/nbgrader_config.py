"""nbgrader settings of a student's server on the class hub (on JUPYTER_CONFIG_PATH)."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.course_id = "dynaq"
c.Exchange.root = os.environ["DYNAQ_CLASS_EXCHANGE"]
