"""Refreshing the pinned trust anchors through TUF (tuf's Updater, public API), from a TUF
repository served on 127.0.0.1: refreshed, cached for offline use, and a refresh that fails
(unreachable, tampered target, forged metadata) falls back to the pinned copy with a note.

The repository is built here with ``tuf.api.metadata`` and keys made for the test; the
targets it serves are the recorded real anchors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from mcpscan.net.http import HttpClient, HttpConfig
from mcpscan.provenance.trust import (
    NPM_KEYS_TARGET,
    TRUSTED_ROOT_TARGET,
    TrustStore,
    pinned_anchor,
)
from tests.support.registry_server import RegistryServer, Route

FIX = Path(__file__).parents[1] / "fixtures" / "provenance" / "npm"
KEYS = (FIX / "registry-signatures" / "keys.tuf-target.npm-registry.json").read_bytes()
ROOT = (FIX / "trusted_root.production.json").read_bytes()


@dataclass
class Repository:
    root: bytes  # 1.root.json: what a client pins
    files: dict[str, bytes]  # path -> body


def build_repository(targets: dict[str, bytes], *, tamper: str | None = None) -> Repository:
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    signers = {
        role: CryptoSigner.generate_ecdsa() for role in ("root", "targets", "snapshot", "timestamp")
    }
    root = Metadata(Root(expires=expires, consistent_snapshot=False))
    for role, signer in signers.items():
        root.signed.add_key(signer.public_key, role)
    files: dict[str, bytes] = {}
    target_meta = Metadata(Targets(expires=expires))
    for path, body in targets.items():
        target_meta.signed.targets[path] = TargetFile.from_data(path, body)
        files[f"/targets/{path}"] = body
    snapshot = Metadata(Snapshot(expires=expires))
    snapshot.signed.meta["targets.json"] = MetaFile(version=target_meta.signed.version)
    timestamp = Metadata(Timestamp(expires=expires))
    timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
    serializer = JSONSerializer(compact=False)
    for role, meta in (
        ("root", root),
        ("targets", target_meta),
        ("snapshot", snapshot),
        ("timestamp", timestamp),
    ):
        meta.sign(signers[role])
        files[f"/{role}.json"] = meta.to_bytes(serializer)
    files["/1.root.json"] = files["/root.json"]
    if tamper == "target":
        files[f"/targets/{NPM_KEYS_TARGET}"] = KEYS.replace(b"npm:signatures", b"npm:signaturez")
    elif tamper == "targets-signature":
        doc = json.loads(files["/targets.json"])
        doc["signed"]["targets"][NPM_KEYS_TARGET]["length"] += 1
        files["/targets.json"] = json.dumps(doc).encode()
    return Repository(files["/root.json"], files)


def serve(server: RegistryServer, repo: Repository) -> None:
    for path, body in repo.files.items():
        server.add(path, Route(body=body))


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(HttpConfig(cache_dir=None, retries=0, timeout=5)) as http:
        yield http


def test_anchors_are_refreshed_through_tuf_and_cached(
    registry_server: RegistryServer, client: HttpClient, tmp_path: Path
) -> None:
    repo = build_repository({NPM_KEYS_TARGET: KEYS, TRUSTED_ROOT_TARGET: ROOT})
    serve(registry_server, repo)
    store = TrustStore(client, tuf_url=registry_server.url, cache_dir=tmp_path, tuf_root=repo.root)
    keys = store.anchor(NPM_KEYS_TARGET)
    assert keys.source.kind == "tuf"
    assert keys.source.fresh
    assert keys.content == KEYS
    assert keys.source.refreshed is not None
    assert store.anchor(TRUSTED_ROOT_TARGET).content == ROOT
    assert registry_server.count(f"/targets/{NPM_KEYS_TARGET}") == 1
    # Offline later: the copy TUF verified, with the date of that refresh.
    offline = TrustStore(None, tuf_url=registry_server.url, cache_dir=tmp_path, offline=True)
    cached = offline.anchor(NPM_KEYS_TARGET)
    assert cached.source.kind == "tuf-cache"
    assert cached.source.refreshed == keys.source.refreshed
    assert (
        cached.source.note == "not refreshed: --offline; using the copy cached from an "
        "earlier TUF refresh"
    )
    assert not cached.source.fresh


def test_a_hand_edited_cache_is_not_used(
    registry_server: RegistryServer, client: HttpClient, tmp_path: Path
) -> None:
    repo = build_repository({NPM_KEYS_TARGET: KEYS, TRUSTED_ROOT_TARGET: ROOT})
    serve(registry_server, repo)
    TrustStore(client, tuf_url=registry_server.url, cache_dir=tmp_path, tuf_root=repo.root).anchor(
        NPM_KEYS_TARGET
    )
    [copy] = [p for p in tmp_path.rglob("*keys.json") if "anchors" in p.parts]
    copy.write_bytes(KEYS.replace(b"npm:signatures", b"npm:attestations"))
    offline = TrustStore(None, tuf_url=registry_server.url, cache_dir=tmp_path, offline=True)
    assert offline.anchor(NPM_KEYS_TARGET).source.kind == "pinned"


@pytest.mark.parametrize("tamper", ["target", "targets-signature"])
def test_a_refresh_that_does_not_verify_falls_back_to_the_pinned_copy(
    registry_server: RegistryServer, client: HttpClient, tmp_path: Path, tamper: str
) -> None:
    repo = build_repository({NPM_KEYS_TARGET: KEYS, TRUSTED_ROOT_TARGET: ROOT}, tamper=tamper)
    serve(registry_server, repo)
    anchor = TrustStore(
        client, tuf_url=registry_server.url, cache_dir=tmp_path, tuf_root=repo.root
    ).anchor(NPM_KEYS_TARGET)
    assert anchor.source.kind == "pinned"
    assert anchor.content == pinned_anchor(NPM_KEYS_TARGET).content
    assert anchor.source.note.startswith(f"TUF refresh from {registry_server.url} failed")
    assert anchor.source.note.endswith("using the pinned copy")


def test_an_unreachable_tuf_repository_is_a_note_not_a_failure(client: HttpClient) -> None:
    anchor = TrustStore(client, tuf_url="http://127.0.0.1:9").anchor(NPM_KEYS_TARGET)
    assert anchor.source.kind == "pinned"
    assert "TUF refresh from http://127.0.0.1:9 failed" in anchor.source.note


def test_metadata_signed_by_other_keys_than_the_pinned_root_is_refused(
    registry_server: RegistryServer, client: HttpClient, tmp_path: Path
) -> None:
    # The repository is genuine TUF, but its root is not the one the client pins.
    serve(registry_server, build_repository({NPM_KEYS_TARGET: KEYS, TRUSTED_ROOT_TARGET: ROOT}))
    pinned = build_repository({NPM_KEYS_TARGET: KEYS}).root
    anchor = TrustStore(
        client, tuf_url=registry_server.url, cache_dir=tmp_path, tuf_root=pinned
    ).anchor(NPM_KEYS_TARGET)
    assert anchor.source.kind == "pinned"
    assert "failed" in anchor.source.note


def test_a_recent_refresh_is_not_repeated_and_keeps_its_time(
    registry_server: RegistryServer, client: HttpClient, tmp_path: Path
) -> None:
    repo = build_repository({NPM_KEYS_TARGET: KEYS, TRUSTED_ROOT_TARGET: ROOT})
    serve(registry_server, repo)
    first = TrustStore(
        client, tuf_url=registry_server.url, cache_dir=tmp_path, tuf_root=repo.root
    ).anchor(NPM_KEYS_TARGET)
    asked = len(registry_server.requests)
    # The next online scan, within the interval: the verified copies, no request at all.
    again = TrustStore(client, tuf_url=registry_server.url, cache_dir=tmp_path).anchor(
        NPM_KEYS_TARGET
    )
    assert len(registry_server.requests) == asked
    assert again.content == KEYS
    assert again.source.kind == "tuf-cache"
    assert again.source.refreshed == first.source.refreshed
    assert again.source.note.startswith("not refreshed: the copy TUF verified at ")
    # Once the interval is over, the repository is walked again.
    later = TrustStore(
        client, tuf_url=registry_server.url, cache_dir=tmp_path, refresh_interval=0
    ).anchor(NPM_KEYS_TARGET)
    assert registry_server.count("/timestamp.json") == 2
    assert later.source.kind == "tuf"


def test_a_failed_refresh_is_not_retried_at_once_and_is_still_stated(
    registry_server: RegistryServer, client: HttpClient, tmp_path: Path
) -> None:
    repo = build_repository({NPM_KEYS_TARGET: KEYS, TRUSTED_ROOT_TARGET: ROOT}, tamper="target")
    serve(registry_server, repo)
    TrustStore(client, tuf_url=registry_server.url, cache_dir=tmp_path, tuf_root=repo.root).anchor(
        NPM_KEYS_TARGET
    )
    asked = len(registry_server.requests)
    anchor = TrustStore(
        client, tuf_url=registry_server.url, cache_dir=tmp_path, tuf_root=repo.root
    ).anchor(NPM_KEYS_TARGET)
    assert len(registry_server.requests) == asked
    assert anchor.source.kind == "pinned"
    assert anchor.source.note.startswith(f"TUF refresh from {registry_server.url} failed at ")
    assert "not retried yet; using the pinned copy" in anchor.source.note
    # After the retry interval (the repository now serving the target it signed), a
    # refresh that verifies clears the recorded failure.
    registry_server.add(f"/targets/{NPM_KEYS_TARGET}", Route(body=KEYS))
    fresh = TrustStore(
        client,
        tuf_url=registry_server.url,
        cache_dir=tmp_path,
        tuf_root=repo.root,
        retry_interval=0,
    )
    assert fresh.anchor(NPM_KEYS_TARGET).source.kind == "tuf"
    assert not list(tmp_path.rglob("last-failure.json"))


def test_a_verdict_made_after_a_refresh_is_keyed_as_the_later_scans_see_it(
    registry_server: RegistryServer, client: HttpClient, tmp_path: Path
) -> None:
    from mcpscan.provenance.npm import NpmProvenance

    repo = build_repository({NPM_KEYS_TARGET: KEYS, TRUSTED_ROOT_TARGET: ROOT})
    serve(registry_server, repo)

    def inputs(store: TrustStore) -> dict[str, object]:
        return NpmProvenance(client, registry_server.url, trust=store).verdict_inputs()

    url = registry_server.url
    fresh = inputs(TrustStore(client, tuf_url=url, cache_dir=tmp_path, tuf_root=repo.root))
    # The next scans use the copies that refresh verified: the same verdicts apply.
    assert inputs(TrustStore(client, tuf_url=url, cache_dir=tmp_path)) == fresh
    assert inputs(TrustStore(None, tuf_url=url, cache_dir=tmp_path, offline=True)) == fresh
    # The pinned copy of the same keys reaches only its own date: other verdicts.
    pinned = inputs(TrustStore(None, tuf_url=None))
    assert pinned["keys_cover"] != fresh["keys_cover"]
    assert pinned != fresh
