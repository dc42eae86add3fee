"""convsuite env list | build NAME... | path NAME | remove NAME...

  list           every environment: built or not, its folder
  build NAME...  build them (side by side); `build all` builds every one
  path NAME      the folder of NAME's build (built first if there is none); its Python is bin/python
  remove NAME... delete every build of NAME (all keys), and its lock
"""

import argparse
import re
import shutil
import sys

from convsuite.conformance.environments import build, specs


def _names(names):
    known = specs.all_specs()
    if names == ["all"]:
        return list(known.values())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"no environment {', '.join(map(repr, unknown))}; environments: {', '.join(known)}")
    return [known[n] for n in names]


def _list(_):
    print(f"environments in {specs.cache_root() / 'environments'}")
    for env in specs.all_specs().values():
        state = "built" if build.is_built(env) else "not built"
        print(f"{env.name:<12} Python {env.python}  {state:<9}  {specs.location(env).name}  "
              f"{' + '.join(env.requirements + env.tools)}")
    return 0


def _build(args):
    build.ensure_all(_names(args.names))
    return 0


def _path(args):
    (env,) = _names([args.name])
    build.ensure(env)
    print(specs.location(env))
    return 0


def _remove(args):
    for env in _names(args.names):
        folder = specs.location(env).parent
        for build_folder in folder.glob(f"{env.name}-*"):
            if re.fullmatch(rf"{re.escape(env.name)}-[0-9a-f]{{12}}(\.lock)?", build_folder.name):  # not mxnet-py312's
                shutil.rmtree(build_folder) if build_folder.is_dir() else build_folder.unlink()
                print(f"removed {build_folder}")
    return 0


def main(argv):
    parser = argparse.ArgumentParser(prog="convsuite env", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list").set_defaults(handler=_list)
    builder = commands.add_parser("build")
    builder.add_argument("names", nargs="+", metavar="NAME")
    builder.set_defaults(handler=_build)
    path = commands.add_parser("path")
    path.add_argument("name", metavar="NAME")
    path.set_defaults(handler=_path)
    remover = commands.add_parser("remove")
    remover.add_argument("names", nargs="+", metavar="NAME")
    remover.set_defaults(handler=_remove)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except KeyError as exc:
        print(f"convsuite env: {exc.args[0]}", file=sys.stderr)
        return 2
