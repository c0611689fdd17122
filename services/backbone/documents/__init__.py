"""Attached documents (申报书, 建设方案, 批复, 评估报告, 整改报告, 拨付凭证): what every
service needs to take them in, keep them and hand them out.

``content``: a document's type judged by its bytes; ``store``: the bytes kept by their
SHA-256 (files under ``var/`` or a PostgreSQL table) and checked on every read;
``upload``: the upload route and how its body is read; ``routes``: the read routes of
documents hanging off bases; ``schemas``: a record as the API returns it. What the log
records of a document is pure and lives in ``kernel.documents``, for domain code. Each
service records and serves the documents of its own aggregates.
"""
