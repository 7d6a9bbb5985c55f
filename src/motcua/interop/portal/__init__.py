"""National public service portal synchronisation: the outbox sink pushing each dossier's
receipt and status changes (`sink`, `sync`), the transport behind an interface (`transport`),
the periodic pull of dossiers filed on the portal (`pull`, `tasks`), procedure code mapping
(`mapping`) and a stand-alone portal simulator for tests (`simulator`, standard library only)."""
