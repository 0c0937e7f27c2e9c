"""DISPATCH: an e-mail driven incident service for a tower infrastructure dispatch desk."""
