"""The synthetic province's parts (`monitoring.generate` is the entry):

- `plan`: the days of the year and how busy each is;
- `world`: the organisation, catalogue, routes and staff, loaded once;
- `people`: names, identity numbers, e-form answers and the specimen file;
- `simulation`: a day's filings, where and when;
- `lifecycle`: one dossier's life as the services' rows;
- `queue`: the counter visits and their tickets and ratings;
- `writer`: the rows in bulk, their keys and daily numbers;
- `purge`: deleting generated rows with what depends on them.
"""

GENERATED = "generated"  # the key of Dossier.data that marks a generated dossier
TICKET_KEY = "generated-"  # how a generated ticket's issue_key begins
