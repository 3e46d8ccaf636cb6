"""Command line of the kit: train, sample and evaluate its models; grade assignments.

    python -m genai_kit train dcgan --data colour_digits --epochs 5 --out runs/digits
    python -m genai_kit train diffusion --epochs 30 --out runs/diffusion
    python -m genai_kit sample diffusion --num 64 --class 3 --guidance 3 --out grid.png
    python -m genai_kit evaluate runs/diffusion/diffusion.keras --num 500
    python -m genai_kit grade submissions/ --out grades.csv
    python -m genai_kit train --help
"""
import argparse
import sys

import genai_kit  # noqa: F401  (sets TensorFlow's defaults before it is imported)

# errors that mean "the command was given something wrong", shown without a traceback
USER_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, IsADirectoryError,
               PermissionError, ConnectionError)


def build_parser():
    """The parser of ``python -m genai_kit``: one ``train`` sub-command per registered model."""
    from genai_kit import commands, trainers
    from genai_kit.grading import gradebook

    parser = argparse.ArgumentParser(prog="python -m genai_kit", description=__doc__.splitlines()[0])
    subcommands = parser.add_subparsers(dest="command", required=True)
    train_parser = subcommands.add_parser("train", help="train a model, resumably, logging to --out")
    models = train_parser.add_subparsers(dest="model", required=True)
    for name, (add_arguments, run) in trainers.TRAINERS.items():
        model_parser = models.add_parser(name, help=f"train the {name}")
        add_arguments(model_parser)
        model_parser.set_defaults(run=run)
    sample_parser = subcommands.add_parser(
        "sample", help="draw a grid of images from a shipped model or a .keras file")
    commands.add_sample_arguments(sample_parser)
    sample_parser.set_defaults(run=commands.run_sample)
    evaluate_parser = subcommands.add_parser(
        "evaluate", help="measure a model: MNIST-FID, recognised digits, and more")
    commands.add_evaluate_arguments(evaluate_parser)
    evaluate_parser.set_defaults(run=commands.run_evaluate)
    grade_parser = subcommands.add_parser(
        "grade", help="grade a folder of submitted assignment notebooks into a gradebook")
    gradebook.add_grade_arguments(grade_parser)
    grade_parser.set_defaults(run=gradebook.run_grade)
    return parser


def main(argv=None):
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        arguments.run(arguments)
    except USER_ERRORS as error:
        parser.exit(2, f"error: {error}\n")
    except KeyboardInterrupt:
        if arguments.command != "train":
            parser.exit(130, "\ninterrupted\n")
        parser.exit(130, f"\ninterrupted: run the same command again to resume from {arguments.out}\n")


if __name__ == "__main__":
    sys.exit(main())
