import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

application = get_wsgi_application()

from dashboard.demo import start_demo_api  # noqa: E402  (needs the settings loaded above)

start_demo_api()
