"""Regenerates blocks.json: the block types and schemas a Prefect 2.7.12 server
registers at start-up (its client block registry), with the five it installs as
protected system blocks marked, plus Orrery's own JSONWebhook notification block. Run with the compat venv:
    tests/compat/.venv/bin/python internal/blocks/builtin/gen.py > internal/blocks/builtin/blocks.json
"""
import json
import uuid
from typing import Optional

from pydantic import Field, SecretStr

import prefect  # noqa: F401  (loads the block registry)
import prefect.blocks.notifications  # noqa: F401
import prefect.blocks.system
import prefect.filesystems
import prefect.infrastructure
from prefect.blocks.abstract import NotificationBlock
from prefect.blocks.core import Block
from prefect.utilities.dispatch import get_registry_for_type



class JSONWebhook(NotificationBlock):
    """
    Posts each notification as JSON ({"subject", "body", "variables"}) to a
    URL, with an optional secret header. Orrery's server delivers it.
    """

    _block_type_name = "JSON Webhook"
    _block_type_slug = "json-webhook"
    _documentation_url = "https://github.com/orrery-dev/orrery#notifications"
    _code_example = (
        "Announce failed flow runs through a saved JSON webhook:\n"
        "```bash\norrery notification create --block json-webhook/BLOCK_NAME --state Failed\n```"
    )

    url: SecretStr = Field(
        default=...,
        title="Webhook URL",
        description="The URL the notification is POSTed to as JSON.",
        example="https://hooks.example.com/XXX",
    )
    secret_header_name: Optional[str] = Field(
        default=None,
        description="A header sent with every request, e.g. Authorization.",
    )
    secret_header_value: Optional[SecretStr] = Field(
        default=None,
        description="The secret header's value.",
    )

    async def notify(self, body: str, subject: Optional[str] = None):
        raise NotImplementedError("the Orrery server delivers JSON Webhook notifications")


PROTECTED = {
    prefect.blocks.system.JSON,
    prefect.blocks.system.DateTime,
    prefect.blocks.system.Secret,
    prefect.filesystems.LocalFileSystem,
    prefect.infrastructure.Process,
}

out = []
for cls in sorted(get_registry_for_type(Block).values(), key=lambda c: c.get_block_type_slug()):
    bt = cls._to_block_type()
    bs = cls._to_block_schema(block_type_id=uuid.uuid4())
    out.append({
        "block_type": {
            "name": bt.name,
            "slug": bt.slug,
            "logo_url": bt.logo_url,
            "documentation_url": bt.documentation_url,
            "description": bt.description,
            "code_example": bt.code_example,
            "is_protected": cls in PROTECTED,
        },
        "block_schema": {
            "fields": bs.fields,
            "capabilities": bs.capabilities,
            "version": bs.version,
            "checksum": bs.checksum,
        },
    })
print(json.dumps(out, indent=1, sort_keys=True, default=str))
