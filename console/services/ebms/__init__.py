"""OBR eBMS, the domain side: the outbox every stamping path writes to (``outbox``), the
invoices' payloads (``payload``), their transmission and retries (``transmission``), where
each sale's invoice stands (``status``), the sellers' NIF checks (``tin``) and the
per-seller transmission override (``override``). The protocol itself (HTTP client, faults,
the local sandbox speaking it) is :mod:`console.ebms`."""
