"""What the command line's commands share: the configuration, an ops actor's RPC, a
service's application opened on its store, its URL."""


def platform_config():
    """The platform's settings (``SC_ENV``'s YAML and ``SC_*`` variables), checked."""
    from services.backbone.settings import load_settings

    return load_settings()


def ops_cluster(config, actor: str):
    """An RPC proxy calling as an ops actor (the token signed with the secret)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.backbone.web.tokens import issue_token
    from services.backbone.messaging.broker import nameko_config
    from services.backbone.kernel.context import stable_id

    token = issue_token(config.auth.secret, role="ops", name=actor,
                        actor_id=stable_id("ops-person", actor))
    return ClusterRpcProxy(nameko_config(config), timeout=30,
                           context_data={"authorization": f"Bearer {token}"})


def ops_rpc(config, service: str, method: str, actor: str, **kwargs):
    """Calls one ops RPC of a service as an ops actor."""
    with ops_cluster(config, actor) as cluster:
        return getattr(getattr(cluster, service), method)(**kwargs)


def open_app(config, service: str):
    """The service's application on its store, for tools that read the log directly."""
    from services.backbone.runner import service_class
    from services.backbone.eventstore.stores import open_application
    from services.backbone.dependencies import EventStore

    store = next(v for v in vars(service_class(service)).values() if isinstance(v, EventStore))
    return open_application(store.application_class, config.store, service)


def service_url(config, service: str) -> str:
    return f"http://{config.services.host}:{config.services.port(service)}"
