from django.apps import AppConfig


class CrmArtifactsConfig(AppConfig):
    name = "crm_artifacts"
    verbose_name = "CRM proposals"
