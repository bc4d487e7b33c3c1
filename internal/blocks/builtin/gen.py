"""Regenerates blocks.json: the block types and schemas a Prefect 2.7.12 server
registers at start-up (its client block registry), with the five it installs as
protected system blocks marked. Run with the compat venv:
    tests/compat/.venv/bin/python internal/blocks/builtin/gen.py > internal/blocks/builtin/blocks.json
"""
import json
import uuid

import prefect  # noqa: F401  (loads the block registry)
import prefect.blocks.notifications  # noqa: F401
import prefect.blocks.system
import prefect.filesystems
import prefect.infrastructure
from prefect.blocks.core import Block
from prefect.utilities.dispatch import get_registry_for_type

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
