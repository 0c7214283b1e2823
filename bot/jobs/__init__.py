"""Background work on rq: queues, the worker and the tasks it runs."""
