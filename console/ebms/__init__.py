"""OBR eBMS: the tax authority's invoicing interface, its sandbox and Isoko's client.

* :mod:`.interface` — what both sides agree on: the identifier format, the answer shape.
* :mod:`.sandbox_store`, :mod:`.faults`, :mod:`.sandbox` — a real HTTP server behaving like
  OBR (``isoko ebms-sandbox``), used by the tests, the demo and the drill.
* :mod:`.client` — the console's client (login, token renewal, the four calls).
"""
