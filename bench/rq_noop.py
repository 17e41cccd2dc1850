"""python-rq's no-op throughput, for `ragsim bench-queue` to print beside its own.

Enqueues --jobs no-op jobs from one producer into a fresh queue on the given Valkey, then runs one
SimpleWorker (no fork per job, rq's fastest) in burst mode until the queue is empty. Prints
`jobs_per_second=<n>` counted like bench-queue's rows: from the first enqueue to the last job
finished. Needs `rq` in the interpreter that runs it (`make bench-queue` installs it in .venv).
"""
import argparse
import sys
import time
import uuid


def noop():
    """The job: nothing (imported by the worker as `rq_noop.noop`)."""
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="redis:// URL of the Valkey to use")
    parser.add_argument("--jobs", type=int, default=2000)
    options = parser.parse_args()

    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(options.url)
    queue = Queue(f"bench-rq-{uuid.uuid4().hex[:8]}", connection=connection)
    start = time.perf_counter()
    for _ in range(options.jobs):
        queue.enqueue("rq_noop.noop", result_ttl=600)
    worker = SimpleWorker([queue], connection=connection)
    worker.work(burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - start
    finished = queue.finished_job_registry.count
    if finished < options.jobs:
        print(f"rq_noop: only {finished} of {options.jobs} jobs finished", file=sys.stderr)
        return 1
    print(f"jobs_per_second={options.jobs / elapsed:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
