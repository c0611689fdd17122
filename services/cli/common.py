"""What the command line's commands share: the configuration, an ops actor's RPC, a
service's application opened on its store, its URL, and flags named as the API names
their parameters."""

import argparse


def api_named(parser: argparse.ArgumentParser, flag: str, *old: str, **kwargs) -> None:
    """``--base-id`` for the API's ``base_id``, and the flag's earlier spelling (``--base``)
    still taken, unlisted, so that scripts written before keep working."""
    dest = flag.removeprefix("--").replace("-", "_")
    parser.add_argument(flag, dest=dest, **kwargs)
    for spelling in old:
        parser.add_argument(spelling, dest=dest, **{**kwargs, "help": argparse.SUPPRESS,
                                                    "required": False})


def platform_config():
    """The platform's settings (``SC_ENV``'s YAML and ``SC_*`` variables), checked."""
    from services.backbone.settings import load_settings

    return load_settings()


def cli_signer(config):
    """The key ``sc`` signs tokens with (issuer ``cli``)."""
    from services.backbone.keys import load_keys

    return load_keys(config, "cli").signer


def ops_authorization(config, actor: str) -> str:
    """A bearer header for one ``sc`` command acting as ops (``actor`` names who runs it)."""
    from services.backbone.kernel.context import stable_id
    from services.backbone.web.tokens import bearer_header

    return bearer_header(cli_signer(config), role="ops", name=actor, actor_id=stable_id("ops-person", actor))


def ops_cluster(config, actor: str):
    """An RPC proxy calling as an ops actor."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.backbone.messaging.broker import nameko_config

    return ClusterRpcProxy(nameko_config(config), timeout=30,
                           context_data={"authorization": ops_authorization(config, actor)})


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
