"""The instance's own secret key when several workers start at once on a fresh instance."""

import multiprocessing
import stat

from app import _instance_secret_key

WORKERS = 6
ROUNDS = 15


def _start_worker(instance, barrier, keys):
    barrier.wait()
    keys.put(_instance_secret_key(instance))


def test_workers_starting_together_on_a_fresh_instance_share_one_secret_key(tmp_path):
    # gunicorn forks its workers at once: each makes the app, so each reads (or writes) the key.
    context = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        instance = tmp_path / str(round_)
        instance.mkdir()
        barrier, keys = context.Barrier(WORKERS), context.Queue()
        workers = [context.Process(target=_start_worker, args=(instance, barrier, keys))
                   for _ in range(WORKERS)]
        for worker in workers:
            worker.start()
        seen = [keys.get(timeout=30) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)

        key_file = instance / "secret_key"
        assert len(set(seen)) == 1, f"round {round_}: {len(set(seen))} different keys"
        assert seen[0] == key_file.read_text().strip() and len(seen[0]) >= 32
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert [p.name for p in instance.iterdir()] == ["secret_key"]
