from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry"

    def ready(self) -> None:
        from registry.tamper import install_after_migrate

        # Every audit table, including those of models added later, is append-only.
        post_migrate.connect(install_after_migrate, dispatch_uid="registry_append_only")
