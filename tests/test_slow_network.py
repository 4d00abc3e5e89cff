"""On a slow network a correct program is never failed early: a room is quiet only once nothing
is on its way. A busy machine delays packets on the loopback too (the kernel may hand them to
its softirq thread), rarely and briefly; here the loopback is slowed on purpose, in a network
namespace of its own, with a token-bucket queue (tc's tbf), so that each case happens at once.

Needs root's right to make a network namespace, and iproute2's ip and tc; skipped without.
"""

import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import ROOT

# In the namespace: its loopback up, with the MTU of a real network (64 KiB segments would not
# fit the bucket), and a queue that lets RATE through, after a burst of BURST bytes.
SLOW_LOOPBACK = (
    "ip link set lo up && ip link set lo mtu 1500 && tc qdisc add dev lo root tbf rate {rate} burst {burst} latency 5s"
)

RUN = textwrap.dedent("""
    import sys
    from harness.engine import runner
    from harness.model import scenario
    failed = [(name, runner.run(scenario.load(name)).failure) for name in sys.argv[1:]]
    for name, failure in failed:
        if failure is not None:
            print(f"{name}: {failure.said()}")
    sys.exit(any(failure for _, failure in failed))
""")

NETWORKS = {
    # A handshake's last ACK, and each line, held up a few tens of ms: every program waits meanwhile.
    "handshakes-held": ("16kbit", "400", ["welcome", "framing"]),
    # The server drops a user whose 1 MiB line is half-way through: the kernel holds the rest.
    "bytes-held": ("8mbit", "20k", ["garbage"]),
}


def namespaces_work() -> bool:
    if not (shutil.which("unshare") and shutil.which("ip") and shutil.which("tc")):
        return False
    try:
        made = subprocess.run(
            ["unshare", "--net", "sh", "-c", SLOW_LOOPBACK.format(rate="8mbit", burst="20k")],
            capture_output=True, timeout=10,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    return made.returncode == 0


pytestmark = pytest.mark.skipif(not namespaces_work(), reason="needs `unshare --net` (root) and tc's tbf queue")


@pytest.mark.parametrize("network", NETWORKS)
def test_a_correct_server_and_client_pass_over_a_slow_loopback(network):
    rate, burst, scenarios = NETWORKS[network]
    script = f'{SLOW_LOOPBACK.format(rate=rate, burst=burst)} && exec "$@"'
    command = ["unshare", "--net", "sh", "-c", script, "slow-loopback", sys.executable, "-c", RUN, *scenarios]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert finished.returncode == 0, finished.stdout + finished.stderr
