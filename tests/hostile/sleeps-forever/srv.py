"""Never says anything: sleeps (for a minute, so that a test going wrong ends anyway)."""

import time

time.sleep(60)
