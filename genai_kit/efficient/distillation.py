"""Knowledge distillation: a small dense student taught by the kit's CNN.

The teacher is the kit's trained digit CNN (``models.mnist_classifier``); the student is the
week's dense classifier, made narrow. Both see the same few labelled digits; the distilled
student also matches the teacher's softened outputs, ``softmax(logits / T)``, whose small
probabilities say which other digits an image resembles (a 7 that looks a little like a 1).
Keras does the work: ``keras.distillation.Distiller`` adds the two losses,

    loss = student_loss_weight * CE(labels, student)
           + (1 - student_loss_weight) * T**2 * KL(softmax(teacher / T) || softmax(student / T))

and ``LogitsDistillation(temperature)`` computes the second term (the ``T**2`` keeps its
gradients the size of the first term's as T grows).

    images, labels, unlabeled_images = distillation.low_label_subset(10, seed=0)
    teacher = distillation.teacher_logits_model()
    student = distillation.distill(teacher, distillation.build_student(seed=0),
                                   images, labels, unlabeled_images=unlabeled_images)
    distillation.compare(num_per_class=10)   # distilled against trained from scratch

The transfer set: the teacher needs no labels, so the distillation term can read every
training digit, also those whose labels we pretend not to have (``unlabeled_images``); the
student's cross-entropy reads only the labelled ones (the others carry the label -1, which
the loss ignores). Without ``unlabeled_images`` the teacher only softens the labels of the
few labelled digits. Mind what is compared: the teacher itself was trained on all 4,500
labelled training digits, so the distilled student gets that knowledge through the teacher.

Training length is counted in optimizer steps, not epochs: 100 labelled digits and a
4,500-digit transfer set then get the same number of updates, so neither student trains
longer than the other.
"""
import keras
import numpy as np
import tensorflow as tf

from genai_kit import checks
from genai_kit.batches import predict_in_batches
from genai_kit.efficient import digits
from genai_kit.models import mnist_classifier

# data
NUM_PER_CLASS = 10  # labelled training digits per class: the low-label regime
SEEDS = (0, 1, 2)
# architecture: about a fifth of the teacher's parameters
STUDENT_HIDDEN_UNITS = (32,)
# distillation
TEMPERATURE = 4.0
STUDENT_LOSS_WEIGHT = 0.5  # weight of the cross-entropy on labels; the rest goes to the teacher
# optimization
STEPS = 400
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
# the label of a digit whose label the student may not read (the loss ignores it)
NO_LABEL = -1
# smallest positive normal float32: log(probability) stays finite where softmax underflowed
SMALLEST_PROBABILITY = float(np.finfo(np.float32).tiny)


def teacher_logits_model(classifier=None):
    """The kit's CNN as a frozen logits model: log of its softmax probabilities.

    Log-probabilities are logits: ``softmax(log p) = p``, since the log only shifts every
    logit of an image by the same constant. Distillation divides logits by a temperature,
    which would be meaningless on probabilities.

    Args:
        classifier: a Keras model, float32 (n, 28, 28, 1) in [0, 1] -> softmax
            probabilities (n, 10); default: the kit's trained CNN.
    Returns:
        keras.Model, not trainable: (n, 28, 28, 1) in [0, 1] -> logits (n, 10), each
        <= 0 (log-probabilities).
    """
    if classifier is None:
        classifier = mnist_classifier.load_mnist_classifier()
    if tuple(classifier.output.shape[1:]) != (digits.NUM_CLASSES,):
        raise ValueError(f"the teacher must output ({digits.NUM_CLASSES},) probabilities per "
                         f"image, got output shape {classifier.output.shape}: pass the kit's "
                         "digit classifier, mnist_classifier.load_mnist_classifier()")
    # clipped before the log: a probability that underflowed to 0 would give -inf
    probabilities = keras.ops.maximum(classifier.output, SMALLEST_PROBABILITY)
    logits = keras.ops.log(probabilities)
    teacher = keras.Model(classifier.input, logits, name="teacher_logits")
    teacher.trainable = False
    return teacher


def build_student(seed=0, hidden_units=STUDENT_HIDDEN_UNITS):
    """A small dense student: the week's dense classifier with narrow hidden layers.

    Args:
        seed: seeds the weight initialisers (same seed, same weights).
        hidden_units: widths of the hidden Dense layers, each a positive int.
    Returns:
        keras.Model: float32 (n, 28, 28, 1) in [0, 1] -> logits (n, 10), built.
    """
    return digits.build_dense_classifier(hidden_units=hidden_units, seed=seed, name="student")


def low_label_subset(num_per_class=NUM_PER_CLASS, seed=0):
    """A stratified, seeded choice of labelled digits from the bundled training set.

    Args:
        num_per_class: labelled digits per class, an int in [1, 450] (the bundled training
            set has 450 of each class).
        seed: int; the same seed chooses the same digits.
    Returns:
        (images, labels, unlabeled_images): the chosen digits, float32
        (10 * num_per_class, 28, 28, 1) in [0, 1], with int64 labels (10 * num_per_class,)
        in 0..9, in shuffled order; and all the other training digits, float32
        (4500 - 10 * num_per_class, 28, 28, 1), their labels left out.
    """
    all_images, all_labels = digits.split("train")
    per_class = int(np.min(np.bincount(all_labels, minlength=digits.NUM_CLASSES)))
    num_per_class = checks.integer(
        "num_per_class", num_per_class, minimum=1, maximum=per_class,
        hint=f": the training set has {per_class} digits of each class, choose e.g. 10")
    rng = np.random.default_rng(seed)
    chosen = np.concatenate([
        rng.choice(np.flatnonzero(all_labels == digit), num_per_class, replace=False)
        for digit in range(digits.NUM_CLASSES)])
    chosen = rng.permutation(chosen)  # classes mixed, not in blocks
    unchosen = np.setdiff1d(np.arange(len(all_labels)), chosen)
    return all_images[chosen], all_labels[chosen], all_images[unchosen]


def distill(teacher, student, images, labels, temperature=TEMPERATURE,
            student_loss_weight=STUDENT_LOSS_WEIGHT, steps=STEPS, seed=0,
            unlabeled_images=None, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE):
    """Trains ``student`` on labels and on the teacher's softened outputs (Keras' Distiller).

    Args:
        teacher: a Keras model, (n, 28, 28, 1) -> logits (n, 10), e.g.
            :func:`teacher_logits_model`; it is frozen, not trained.
        student: a Keras model, (n, 28, 28, 1) -> logits (n, 10); trained in place.
        images, labels: the labelled digits, float32 (n, 28, 28, 1) in [0, 1] and
            int (n,) in 0..9.
        temperature: float > 0 dividing both models' logits in the distillation term;
            1 keeps the teacher's probabilities, larger values soften them.
        student_loss_weight: float in [0, 1], the share of the loss that is cross-entropy
            on the labels; 0 learns from the teacher alone, 1 ignores the teacher.
        steps: optimizer steps, a positive int (see the module's note on steps).
        seed: seeds the order of the batches.
        unlabeled_images: None, or float32 (m, 28, 28, 1) in [0, 1]: more digits for the
            distillation term only (a transfer set); the cross-entropy skips them.
        batch_size, learning_rate: Adam's batches and step size.
    Returns:
        the trained student (the same object), outputting logits (n, 10).
    """
    temperature = checks.number(
        "temperature", temperature, low=0.0, low_inclusive=False,
        hint=": it divides the logits, choose e.g. temperature=4 (1 keeps the teacher's "
             "probabilities, larger softens them)")
    student_loss_weight = checks.fraction(
        "student_loss_weight", student_loss_weight,
        hint=": it is the labels' share of the loss, e.g. 0.5; the teacher gets the rest")
    images, labels = digits.check_digits(images, labels)
    if unlabeled_images is not None and len(unlabeled_images):
        unlabeled_images, _ = digits.check_digits(unlabeled_images, name="unlabeled_images")
        # one transfer set: the teacher reads every digit, the cross-entropy only labelled ones
        images = np.concatenate([images, unlabeled_images])
        labels = np.concatenate([labels, np.full(len(unlabeled_images), NO_LABEL)])
    distiller = keras.distillation.Distiller(
        teacher=teacher, student=student,
        # a KLDivergence instance, not the string "kl_divergence": only the instance makes
        # LogitsDistillation turn the scaled logits into probabilities (and scale by T**2)
        distillation_losses=keras.distillation.LogitsDistillation(
            temperature=temperature, loss=keras.losses.KLDivergence()),
        student_loss_weight=student_loss_weight)
    distiller.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        # the mean over the batch's labelled digits; a batch without any adds 0
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=NO_LABEL))
    _fit(distiller, images, labels, steps, batch_size, seed)
    return distiller.student


def train_from_scratch(student, images, labels, steps=STEPS, seed=0, batch_size=BATCH_SIZE,
                       learning_rate=LEARNING_RATE):
    """Trains ``student`` on the labelled digits alone: the baseline distillation must beat.

    The same optimizer, batches and number of steps as :func:`distill`, no teacher.

    Args:
        student: a Keras model, (n, 28, 28, 1) -> logits (n, 10); trained in place.
        images, labels: float32 (n, 28, 28, 1) in [0, 1] and int (n,) in 0..9.
        steps: optimizer steps, a positive int.
        seed: seeds the order of the batches.
        batch_size, learning_rate: Adam's batches and step size.
    Returns:
        the trained student (the same object), outputting logits (n, 10).
    """
    images, labels = digits.check_digits(images, labels)
    digits.compile_classifier(student, learning_rate)
    _fit(student, images, labels, steps, batch_size, seed)
    return student


def teacher_agreement(student, teacher, images):
    """Share of ``images`` on which the student's top class is the teacher's: float in [0, 1]."""
    student_classes = np.argmax(predict_in_batches(student, images), axis=-1)
    teacher_classes = np.argmax(predict_in_batches(teacher, images), axis=-1)
    return float(np.mean(student_classes == teacher_classes))


def compare(num_per_class=NUM_PER_CLASS, seeds=SEEDS, temperature=TEMPERATURE,
            student_loss_weight=STUDENT_LOSS_WEIGHT, steps=STEPS, use_unlabeled=True,
            hidden_units=STUDENT_HIDDEN_UNITS, teacher=None):
    """Distilled students against students trained from scratch, one pair per seed.

    Each seed chooses the labelled digits (:func:`low_label_subset`), the student's initial
    weights (the same for both students of a pair) and the order of the batches; both
    students are then measured on the 500 bundled test digits.

    Args:
        num_per_class: labelled training digits per class, an int in [1, 450].
        seeds: at least two ints, so that a spread can be measured.
        temperature, student_loss_weight, steps: as in :func:`distill`.
        use_unlabeled: give the distilled student the other training digits as transfer
            set (the scratch student cannot use them: it has no teacher).
        hidden_units: the students' hidden widths.
        teacher: a logits model; default :func:`teacher_logits_model`.
    Returns:
        dict: "distilled" and "scratch", lists of test accuracies in [0, 1], one per seed;
        "distilled_mean", "distilled_std", "scratch_mean", "scratch_std" (the standard
        deviation over seeds, ddof=1); "distilled_agreement" and "scratch_agreement", lists
        of the share of test digits on which each student's class is the teacher's;
        "teacher", the teacher's test accuracy; "student_parameters" and
        "teacher_parameters", ints.
    """
    seeds = [checks.integer("seed", seed) for seed in seeds]
    if len(seeds) < 2:
        raise ValueError(f"got {len(seeds)} seed(s): pass at least two, e.g. seeds=(0, 1, 2), "
                         "so that the spread between runs can be measured")
    # checked here, before the first student trains for minutes
    checks.number("temperature", temperature, low=0.0, low_inclusive=False,
                  hint=": choose e.g. temperature=4")
    checks.fraction("student_loss_weight", student_loss_weight, hint=": choose e.g. 0.5")
    teacher = teacher_logits_model() if teacher is None else teacher
    test_images, test_labels = digits.split("test")
    results = {"distilled": [], "scratch": [], "distilled_agreement": [],
               "scratch_agreement": []}
    for seed in seeds:
        images, labels, unlabeled_images = low_label_subset(num_per_class, seed)
        students = {
            "distilled": distill(
                teacher, build_student(seed, hidden_units), images, labels,
                temperature=temperature, student_loss_weight=student_loss_weight,
                steps=steps, seed=seed,
                unlabeled_images=unlabeled_images if use_unlabeled else None),
            "scratch": train_from_scratch(build_student(seed, hidden_units), images, labels,
                                          steps=steps, seed=seed),
        }
        for kind, student in students.items():
            results[kind].append(digits.accuracy(student, test_images, test_labels))
            results[f"{kind}_agreement"].append(teacher_agreement(student, teacher, test_images))
    for kind in ("distilled", "scratch"):
        results[f"{kind}_mean"] = float(np.mean(results[kind]))
        results[f"{kind}_std"] = float(np.std(results[kind], ddof=1))
    results["teacher"] = digits.accuracy(teacher, test_images, test_labels)
    results["student_parameters"] = build_student(0, hidden_units).count_params()
    results["teacher_parameters"] = teacher.count_params()
    return results


def _fit(model, images, labels, steps, batch_size, seed):
    """``steps`` Adam steps on batches drawn from (images, labels), reshuffled every pass."""
    steps = checks.integer("steps", steps, minimum=1, hint=": train for e.g. steps=400")
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    keras.utils.set_random_seed(seed)
    batches = (tf.data.Dataset.from_tensor_slices((images, labels))
               .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
               .repeat().batch(batch_size).prefetch(tf.data.AUTOTUNE))
    # shuffle=False: the dataset shuffles itself (Keras shuffles only arrays)
    model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
