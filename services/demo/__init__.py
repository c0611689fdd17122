"""``make demo``: the 2017 programme replayed on the real services, as their real users.

The demo starts the four services as processes of their own, in a RabbitMQ vhost and a
SQLite directory made for this run only (so it works beside ``make run``), and plays
the programme through the HTTP APIs, each actor with its own token: departments
subscribe, the first batch is declared, scored and certified, plans are approved and
filed, funds are allocated and paid, the bases are evaluated and adjusted (one is
revoked and its money recovered), and a second batch is certified. It ends with the
state of the platform as tables (or JSON with ``--json``) and exits non-zero if
anything it expected did not happen.

    main.py          runs it all, decides the exit status (``python -m services.demo``)
    launcher.py      vhost, store directory, secret, ports; starts and stops the services
    actors.py        who acts (tokens) and the HTTP calls they make
    data.py          the programme's data: declarations, evaluators, scores, plans, money
    story.py         the steps in the policy's order, and the subscriptions
    selection.py     a batch from opening to certification; scoring (rounds too)
    construction.py  plans, approvals, filing; the envelope, allocations, payments
    adjustment.py    metrics, evaluation rounds, rectification, revocation, recovery
    receiver.py      a county government's webhook endpoint, checking signatures
    mailbox.py       the mail server the e-mail subscription is delivered to
    report.py        the platform's state at the end, read back from the services
    checks.py        what that state must show; tables.py prints it for people
"""
