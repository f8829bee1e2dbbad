from django.apps import AppConfig


class QueriesConfig(AppConfig):
    name = "queries"
    verbose_name = "Data-quality queries"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # After each recompute, raise and close the §11 queries (treatments knows nothing
        # of this app: it calls what is registered, ``treatments.hooks``).
        from queries.selectors import worklist_patient_queries
        from queries.services import queries_sync_recomputed
        from treatments.hooks import outcome_stored_hook_register, worklist_queries_register

        outcome_stored_hook_register(queries_sync_recomputed)
        worklist_queries_register(worklist_patient_queries)  # the worklist's open queries
