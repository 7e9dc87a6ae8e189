"""JupyterHub configuration of a Dyna-Q class on one machine (scripts/start-class.sh copies it).

Real Unix users log in with their passwords (PAM); each gets their own JupyterLab server,
started as that user in their home folder by JupyterHub's LocalProcessSpawner. The roster
(class/roster.csv, read by dynaq_course.grading.roster) says who may log in and who teaches.
What each role sees is set by a Jupyter config folder per role (jupyter-config/<role>/, put
on JUPYTER_CONFIG_PATH): students get the Assignment List, instructors the formgrader,
Create Assignment and the course list. Everything below comes from environment variables
that start-class.sh sets, so this file is the same on every machine.
"""

import os

from dynaq_course.grading.roster import instructors, load_roster, students

c = get_config()  # noqa: F821 (provided by JupyterHub)

CLASS_DIR = os.environ["DYNAQ_CLASS_DIR"]
VENV_BIN = os.path.join(CLASS_DIR, "venv", "bin")
roster = load_roster(os.path.join(CLASS_DIR, "roster.csv"))
INSTRUCTORS = {p.username for p in instructors(roster)}

# Listen on this machine only unless told otherwise (a real server puts TLS in front: README).
# Three ports: the class's (PORT), the proxy's API (PORT + 1) and the hub's own (PORT + 2).
IP = os.environ.get("DYNAQ_CLASS_IP", "127.0.0.1")
PORT = int(os.environ.get("DYNAQ_CLASS_PORT", "8000"))
c.JupyterHub.bind_url = f"http://{IP}:{PORT}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 1}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{PORT + 2}"
c.JupyterHub.db_url = "sqlite:///" + os.path.join(CLASS_DIR, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(CLASS_DIR, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(CLASS_DIR, "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = os.path.join(CLASS_DIR, "proxy.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server

# Who may log in: the roster. Instructors are hub admins (they can see who is running).
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {p.username for p in roster}
c.Authenticator.admin_users = INSTRUCTORS

# Each user's own JupyterLab, as their own Unix user, in their home folder.
c.Spawner.cmd = [os.path.join(VENV_BIN, "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120


def per_role(spawner):
    """Put the user's role folder on JUPYTER_CONFIG_PATH and the class venv first on PATH."""
    role = "instructor" if spawner.user.name in INSTRUCTORS else "student"
    spawner.environment.update(
        {
            "JUPYTER_CONFIG_PATH": os.path.join(CLASS_DIR, "jupyter-config", role),
            "DYNAQ_CLASS_EXCHANGE": os.path.join(CLASS_DIR, "exchange"),
            # nbgrader runs `alembic` by name: the venv's bin/ must be on PATH.
            "PATH": VENV_BIN + ":/usr/local/bin:/usr/bin:/bin",
        }
    )


c.Spawner.pre_spawn_hook = per_role

assert students(roster), "the roster has no student"  # load_roster already checked the rest
