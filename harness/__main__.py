"""`python -m harness COMMAND [ARGS]`: the kit's one command, as `chatroom-kit` (harness/commands.py)."""

import sys

from harness.commands import main

sys.exit(main())
