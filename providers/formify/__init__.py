"""Formify: e-signature requests through a Formify account connected by OAuth."""
