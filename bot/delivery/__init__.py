"""Getting a notice to an organization or its staff: signed webhooks (signing, WEBHOOKS.md), e-mail
(mail, pgp), staff SMS through the outbox (transports), and what each carries (payload).

Below the cases, which decide what is sent and when (bot.cases.notices), and beside the directory.
"""
