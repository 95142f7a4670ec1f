from django.apps import AppConfig


class InspectionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inspection"
    verbose_name = "Inspection: maps, review lists and decisions"

    def ready(self) -> None:
        from inspection.services import reattach_decisions
        from parcels.signals import dataset_imported

        dataset_imported.connect(reattach_decisions, dispatch_uid="inspection-reattach")
