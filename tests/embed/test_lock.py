"""One model, many threads: questions go first."""


def test_queries_go_before_waiting_ingest_batches():
    import threading
    import time

    from rag.embed import QueriesFirstLock

    lock, order = QueriesFirstLock(), []
    with lock.hold(urgent=False):  # an ingest batch is running...
        def worker(name, urgent):
            with lock.hold(urgent):
                order.append(name)
        threads = [threading.Thread(target=worker, args=("batch", False))]
        threads[0].start()
        time.sleep(0.05)  # ...another batch waits, then a question arrives
        threads.append(threading.Thread(target=worker, args=("question", True)))
        threads[1].start()
        time.sleep(0.05)
    for t in threads:
        t.join(5)
    assert order == ["question", "batch"]
