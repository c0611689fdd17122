"""What the command line's commands share: the configuration, an ops actor's RPC, a
service's application opened on its store, its URL."""


def platform_config():
    from services.backbone.config import load_config

    return load_config()


def ops_cluster(config, actor: str):
    """An RPC proxy calling as an ops actor (the token signed with the secret)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.backbone.web.tokens import issue_token
    from services.backbone.messaging.broker import nameko_config
    from services.backbone.kernel.context import stable_id

    token = issue_token(config["auth"]["secret"], role="ops", name=actor,
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
    from services.backbone.eventstore.stores import store_env
    from services.backbone.dependencies import EventStore

    store = next(v for v in vars(service_class(service)).values() if isinstance(v, EventStore))
    return store.application_class(env=store_env(config, service))


def service_url(config: dict, service: str) -> str:
    host = config["services"].get("host", "127.0.0.1")
    return f"http://{host}:{config['services'][service]['http_port']}"
