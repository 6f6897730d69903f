"""Container runners: docker, podman and nerdctl ``run``, with the image and its hardening flags."""

from __future__ import annotations

import re
from collections.abc import Sequence

from mcpscan.models import ContainerFacts, ValueKind
from mcpscan.redaction import value_kind
from mcpscan.sources.launchers.argv import (
    _leading_opts,
    _server_args,
    _subcommand,
    _value_after,
    _words,
)
from mcpscan.sources.launchers.credentials import _check_value, _safe
from mcpscan.sources.launchers.facts import _Acc, _Launcher, _Opt, _Tok
from mcpscan.sources.launchers.packages import _oci_ref

_DOCKER_VALUES = _words(
    """
    -a --attach --add-host --annotation --blkio-weight --blkio-weight-device --cap-add
    --cap-drop --cgroup-parent --cgroupns --cidfile --cpu-period --cpu-quota --cpu-rt-period
    --cpu-rt-runtime -c --cpu-shares --cpus --cpuset-cpus --cpuset-mems --device
    --device-cgroup-rule --device-read-bps --device-read-iops --device-write-bps
    --device-write-iops --dns --dns-option --dns-search --domainname --entrypoint -e --env
    --env-file --expose --gpus --group-add --health-cmd --health-interval --health-retries
    --health-start-period --health-start-interval --health-timeout -h --hostname --ip --ip6
    --ipc --isolation --kernel-memory -l --label --label-file --link --link-local-ip
    --log-driver --log-opt --mac-address -m --memory --memory-reservation --memory-swap
    --memory-swappiness --mount --name --network --net --network-alias --net-alias
    --oom-score-adj --pid --pids-limit --platform -p --publish --pull --restart --runtime
    --security-opt --shm-size --stop-signal --stop-timeout --storage-opt --sysctl --tmpfs
    --ulimit -u --user --userns --uts -v --volume --volume-driver --volumes-from -w
    --workdir --arch --os --variant --secret --pod --uidmap --gidmap --subuidname
    --subgidname --hooks-dir --init-path --passwd-entry --personality --preserve-fds
    --sdnotify --seccomp-policy --systemd --timeout --tz --umask --unsetenv --cgroups
    --conmon-pidfile --decryption-key --pidfile --requires --hostuser --chrootdirs
    --authfile --cert-dir --creds --image-volume --log-level
    """
)
_DOCKER_SWITCHES = _words(
    """
    -i --interactive -t --tty -d --detach --rm --privileged --init --read-only -P
    --publish-all --no-healthcheck --oom-kill-disable -q --quiet --disable-content-trust
    --sig-proxy --help --env-host --http-proxy --rootfs --replace --tls-verify
    --read-only-tmpfs --no-hosts --rmi --use-default-registry
    """
)
_DOCKER_GLOBAL_VALUES = _words(
    """
    -H --host -c --context --config -l --log-level --tlscacert --tlscert --tlskey
    --connection --url --root --runroot --storage-driver --cgroup-manager --identity
    --events-backend
    """
)


def _docker_opts(acc: _Acc, args: Sequence[_Tok], where: str) -> tuple[list[_Opt], int]:
    """``docker run`` options (with ``-it`` clusters and ``-eK=V`` attached values)."""

    def read_one(i: int, opts: list[_Opt]) -> int:
        tok = args[i]
        text = tok.text
        if text.startswith("--"):
            name, eq, val = text.partition("=")
            if eq:
                opts.append(_Opt(name, val, _Tok(val, tok.index)))
            elif name in _DOCKER_VALUES:
                value = _value_after(args, i, acc, where)
                opts += [value] if value else []
                return i + 2 if value else i + 1
            else:
                if name not in _DOCKER_SWITCHES:
                    acc.note(f"{where}: unknown option {_safe(name)}; the image name may be wrong")
                opts.append(_Opt(name, None, tok))
            return i + 1
        chars = text[1:]
        for j, char in enumerate(chars):
            flag = "-" + char
            if flag in _DOCKER_VALUES:
                rest = chars[j + 1 :].removeprefix("=")
                if rest:
                    opts.append(_Opt(flag, rest, _Tok(rest, tok.index)))
                    return i + 1
                value = _value_after(args, i, acc, where, flag)
                opts += [value] if value else []
                return i + 2 if value else i + 1
            if flag not in _DOCKER_SWITCHES:
                acc.note(f"{where}: unknown option {_safe(flag)}; the image name may be wrong")
            opts.append(_Opt(flag, None, tok))
        return i + 1

    return _leading_opts(args, read_one)


def _bind_source(spec: str) -> str | None:
    """Host side of ``-v host:ctr[:opts]`` when it is a host path (not a named volume)."""
    match = re.match(r"^((?:[A-Za-z]:)?[^:]*):", spec)
    if not match:
        return None
    host = match.group(1)
    if host and (host[0] in "/~.$%\\" or re.match(r"^[A-Za-z]:", host)):
        return host
    return None


def _mount_source(spec: str) -> str | None:
    """Source of ``--mount type=bind,source=/x,target=/y``."""
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, _, val = part.partition("=")
        fields[key.strip().lower()] = val.strip()
    if fields.get("type") != "bind":
        return None
    return fields.get("source") or fields.get("src") or None


def _container(acc: _Acc, args: Sequence[_Tok], where: str) -> None:
    """``docker|podman run [options] image [server args]``."""
    opts, start = _docker_opts(acc, args, where)
    privileged = host_network = host_pid = False
    caps: list[str] = []
    mounts: list[str] = []
    security: list[str] = []
    env_literals: list[str] = []
    pulls = True
    user: str | None = None
    for opt in opts:
        flag, value = opt.flag, opt.value
        if flag == "--privileged":
            privileged = value is None or value.lower() != "false"
        elif value is None:
            if flag == "--env-host":
                acc.note(f"{where} passes the whole host environment into the container")
            continue
        elif flag in ("-e", "--env"):
            key, eq, val = value.partition("=")
            if eq and value_kind(val) is ValueKind.LITERAL:
                env_literals.append(key)
                _check_value(acc, flag, opt.tok, val, key)
        elif flag in ("-v", "--volume"):
            source = _bind_source(value)
            if source:
                mounts.append(source)
        elif flag == "--mount":
            source = _mount_source(value)
            if source:
                mounts.append(source)
        elif flag in ("--network", "--net"):
            host_network = host_network or value == "host"
        elif flag == "--pid":
            host_pid = host_pid or value == "host"
        elif flag == "--cap-add":
            caps.append(value)
        elif flag == "--security-opt":
            security.append(value)
        elif flag == "--pull":
            pulls = value != "never"
        elif flag in ("-u", "--user"):
            user = value
        elif flag == "--entrypoint":
            acc.note(f"{where} overrides the image's entrypoint")
        elif flag in ("--env-file", "--label-file"):
            continue
        else:
            _check_value(acc, flag, opt.tok, value, flag.lstrip("-"))
    acc.auto_install = acc.auto_install or pulls
    rest = list(args[start:])
    image = rest[0].text if rest else ""
    ref = _oci_ref(acc, rest[0], image, "server") if rest else None
    if not rest:
        acc.note(f"{where} was given no image")
    if ref is not None:
        acc.packages.append(ref)
    facts = ContainerFacts(
        image=ref.spec if ref is not None else "",
        privileged=privileged,
        host_network=host_network,
        host_pid=host_pid,
        cap_add=tuple(caps),
        mounts=tuple(mounts),
        security_opts=tuple(security),
        env_literals=tuple(dict.fromkeys(env_literals)),
        user=user,
    )
    if acc.container is None:
        acc.container = facts
    # Arguments after the image are the server's, with paths inside the container.
    _server_args(acc, rest[1:], paths=False)


def _runner(acc: _Acc, name: str, args: Sequence[_Tok], _depth: int) -> str:
    sub, rest = _subcommand(args, _DOCKER_GLOBAL_VALUES)
    if sub == "container" and rest and rest[0].text == "run":
        sub, rest = "run", rest[1:]
    if sub == "run":
        _container(acc, rest, f"{name} run")
    else:
        acc.cannot(f"{name} is used with a subcommand mcpscan does not analyse")
    return name


LAUNCHERS: dict[str, _Launcher] = dict.fromkeys(("docker", "podman", "nerdctl"), _runner)
