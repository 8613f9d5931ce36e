"""Conversations at scale: the desk's inbox with unread counts, and sending a message.

    python -m bench.conversations [--threads N] [--messages M] [--runs R] [--quick]

Builds its own database (`<DATABASE_URL's name>_bench_conversations`, recreated each run): N
customers, each with a direct thread of M messages alternating between the customer and the
desk, the desk's read receipt halfway. Then times, R times each: one page of the desk's
`myConversations` (20 threads, newest activity first) with their unread counts, a customer's
inbox, and sending a message through the service (idempotency check, rate limit, insert,
receipt, outbox, commit). Targets: an inbox page with unread counts p95 <= 50 ms, a send
p95 <= 50 ms (on a shared two-core machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.conversations import repository, service
from app.conversations.service import Draft
from app.core.auth import Principal, Role
from app.core.db import SerializedSession
from bench.realtime import DEFAULT_DATABASE_URL, database_beside, fresh_database

FILL = """
INSERT INTO customers (id, name, type, language, preferred_channels, created_at, updated_at,
                       version)
SELECT g, 'Bench customer ' || g, 'CONSUMER', 'en', '{}', now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO conversations (id, subject_kind, customer_id, title, last_activity_at,
                           last_activity_seq, created_at, updated_at, version)
SELECT g, 'DIRECT', g, 'Service desk', now(), 0, now(), now(), 1
FROM generate_series(1, :n) g;
INSERT INTO conversation_messages (conversation_id, kind, via, body, sender_subject,
                                   sender_role, sender_name, created_at, version)
SELECT t, 'TEXT', 'APP', 'Message ' || m,
       CASE WHEN m % 2 = 0 THEN 'customer:' || t ELSE 'agent:desk' END,
       CASE WHEN m % 2 = 0 THEN 'CUSTOMER' ELSE 'AGENT' END, '',
       now() - interval '1 day' + (t * :m + m) * interval '1 second', 1
FROM generate_series(1, :n) t, generate_series(1, :m) m;
UPDATE conversations c SET last_message_id = x.last, last_activity_seq = x.last
FROM (SELECT conversation_id, max(id) AS last, min(id) AS first
      FROM conversation_messages GROUP BY 1) x
WHERE x.conversation_id = c.id;
INSERT INTO conversation_participants (conversation_id, subject, role, name, joined_at,
                                       last_read_message_id)
SELECT c.id, 'agent:desk', 'AGENT', 'Desk', now(), c.last_message_id - :m / 2
FROM conversations c;
INSERT INTO conversation_participants (conversation_id, subject, role, name, customer_id,
                                       joined_at, last_read_message_id)
SELECT c.id, 'customer:' || c.customer_id, 'CUSTOMER', 'Customer', c.customer_id, now(),
       c.last_message_id
FROM conversations c;
SELECT setval('conversations_id_seq', (SELECT max(id) FROM conversations));
"""
AGENT = Principal("agent:desk", Role.AGENT, "Desk")


def figures(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(
        f"{name:<44} p50 {statistics.median(ordered) * 1000:7.2f} ms"
        f"   p95 {p95 * 1000:7.2f} ms   ({len(ordered)} runs)"
    )


async def timed(runs: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    samples = []
    for n in range(runs):
        start = time.perf_counter()
        await call(n)
        samples.append(time.perf_counter() - start)
    return samples


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="2,000 threads, 50 runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.threads, args.runs = 2_000, 50
    url = database_beside(
        os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL, "bench_conversations"
    )
    await fresh_database(url)
    engine = create_async_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, class_=SerializedSession, expire_on_commit=False)
    started = time.perf_counter()
    async with engine.begin() as connection:
        for statement in FILL.split(";\n"):
            if statement.strip():
                await connection.execute(text(statement), {"n": args.threads, "m": args.messages})
        await connection.execute(text("ANALYZE"))
    total = args.threads * args.messages
    print(
        f"seeded {args.threads} threads, {total} messages in {time.perf_counter() - started:.1f} s"
    )

    async def desk_inbox(_: int) -> None:
        async with sessions() as session:
            rows, _more = await repository.inbox_page(session, AGENT, 20, None)
            await repository.unread_counts(session, AGENT.subject, [r.id or 0 for r in rows])

    async def customer_inbox(n: int) -> None:
        customer_id = n % args.threads + 1
        who = Principal(f"customer:{customer_id}", Role.CUSTOMER, "C", customer_id=customer_id)
        async with sessions() as session:
            rows, _more = await repository.inbox_page(session, who, 20, None)
            await repository.unread_counts(session, who.subject, [r.id or 0 for r in rows])

    figures("desk inbox page (20) with unread counts", await timed(args.runs, desk_inbox))
    figures("customer inbox with unread counts", await timed(args.runs, customer_inbox))
    # the desk may send 30 a minute: the send runs as many senders
    senders = [Principal(f"agent:{i}", Role.AGENT, "Desk") for i in range(args.runs)]

    async def send_as(n: int) -> None:
        async with sessions() as session:
            await service.send_message(
                session, senders[n], n % args.threads + 1, Draft(body=f"Bench answer {n}")
            )
            await session.commit()

    figures("send a message (service, commit)", await timed(args.runs, send_as))
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
