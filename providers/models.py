# ProviderConnection and WebhookDelivery arrive with the provider layer.
