"""Command line of the kit: ``python -m genai_kit train <model> ...``.

    python -m genai_kit train dcgan --data runs/bedroom_images --epochs 400 --batch-size 128 --out runs/bedrooms
    python -m genai_kit train dcgan --data colour_digits --epochs 5 --out runs/digits
    python -m genai_kit train dcgan --help
"""
import argparse
import sys

import genai_kit  # noqa: F401  (sets TensorFlow's defaults before it is imported)

# errors that mean "the command was given something wrong", shown without a traceback
USER_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError,
               PermissionError, ConnectionError)


def build_parser():
    """The parser of ``python -m genai_kit``: one ``train`` sub-command per registered model."""
    from genai_kit import train

    parser = argparse.ArgumentParser(prog="python -m genai_kit", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    train_parser = commands.add_parser("train", help="train a model, resumably, logging to --out")
    models = train_parser.add_subparsers(dest="model", required=True)
    for name, (add_arguments, run) in train.TRAINERS.items():
        model_parser = models.add_parser(name, help=f"train the {name}")
        add_arguments(model_parser)
        model_parser.set_defaults(run=run)
    return parser


def main(argv=None):
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        arguments.run(arguments)
    except USER_ERRORS as error:
        parser.exit(2, f"error: {error}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"\ninterrupted: run the same command again to resume from {arguments.out}\n")


if __name__ == "__main__":
    sys.exit(main())
