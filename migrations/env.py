import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    """The engine the migrations run on: the owner's (``MIGRATION_DATABASE_URL``) when it is set, else the app's."""
    owner_url = current_app.config.get("MIGRATION_DATABASE_URL")
    if owner_url:
        from sqlalchemy import create_engine

        from safeguard.core.config import normalise_database_url

        engine = current_app.extensions.setdefault("migration_engine", {}).get(owner_url)
        if engine is None:
            engine = create_engine(normalise_database_url(owner_url))
            current_app.extensions["migration_engine"][owner_url] = engine
        return engine
    return current_app.extensions["migrate"].db.engine


def grant_application_role(connection):
    """On PostgreSQL, when the app connects as another role than the migrations' owner, grant that role exactly what
    it needs (safeguard.core.dbroles) after the upgrade, in the same transaction."""
    if connection.dialect.name != "postgresql" or not current_app.config.get("MIGRATION_DATABASE_URL"):
        return
    from sqlalchemy.engine import make_url

    from safeguard.core import dbroles

    app_role = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).username
    if app_role and app_role != dbroles.current_role(connection):
        for table, privileges in dbroles.grant_application_role(connection, app_role):
            logger.info("granted %s on %s to %s", privileges, table, app_role)


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def render_item(type_, obj, autogen_context):
    """Write the project's column types as the plain SQLAlchemy types they store, so that revisions never
    import application code (a revision must keep working after the code it was written beside has changed)."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime()"
    return False


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    conf_args.setdefault("render_item", render_item)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        with context.begin_transaction():
            context.run_migrations()
            grant_application_role(connection)
    if current_app.config.get("MIGRATION_DATABASE_URL"):
        connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
