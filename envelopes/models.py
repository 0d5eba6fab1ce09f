# The envelope domain (Envelope, Document, Participant, …) arrives with its own issue.
