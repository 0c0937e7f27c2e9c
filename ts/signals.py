"""Keep the in-memory recognition index in step with edits made in this process."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ts.models import BaseStation, Pole
from ts.recognition import invalidate_index


@receiver(post_save, sender=Pole)
@receiver(post_delete, sender=Pole)
@receiver(post_save, sender=BaseStation)
@receiver(post_delete, sender=BaseStation)
def _reference_data_changed(**kwargs: object) -> None:
    invalidate_index()
