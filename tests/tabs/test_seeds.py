"""The seeds' chapter (course/chapter/tabs/seeds.md: seeds 000, 001 and 003, one tab each,
as their authors wrote them): its verdict, pinned with its reasons."""


def test_the_seeds_chapter_disagrees_where_two_seeds_break(chapter):
    status, doc, _ = chapter("seeds")
    assert (status, doc["verdict"]) == (1, "DISAGREE")
    steps = {step["step"]: step for step in doc["steps"]}
    statuses = {number: step["status"] for number, step in steps.items()}
    assert statuses == {1: "agree", 2: "agree", 3: "agree", 4: "agree", 5: "agree", 6: "agree", 7: "one tab",
                        8: "disagree", 9: "disagree"}
    # The lesson's example and the edge map agree in all three (TensorFlow's int32 inputs
    # give float32, as the others' do); seed 003 shows no edge map (its last line assigns it).
    assert steps[3]["line_text"] == "float32 (2, 2) [[19. 25.] [37. 43.]]"
    assert steps[6]["no_value"] == ["tensorflow"]
    # Seed 001 alone applies the kernel to the transposed image; seed 003 has no Conv2D class.
    assert steps[7]["tabs"] == ["pytorch"] and steps[4]["missing"] == ["tensorflow"]
    # Seed 003's training loop is TensorFlow 2.0's: Keras 3 refuses GradientTape.watch of its
    # Variable, so the step raises there alone.
    tf_error = steps[8]["cells"]["tensorflow"]["error"]
    assert [t for t, c in steps[8]["cells"].items() if c["disagrees"]] == ["tensorflow"]
    assert tf_error["type"] == "ValueError" and "not tf.Tensor or tf.Variable" in tf_error["message"]
    # Seed 000's layer has two output channels: its four weights do not reshape to (1, 2).
    mx_error = steps[9]["cells"]["mxnet"]["error"]
    assert [t for t, c in steps[9]["cells"].items() if c["disagrees"]] == ["mxnet"]
    assert "Cannot reshape array of size 4 into shape (1, 2)" in mx_error["message"]
    # TensorFlow's learned kernel starts from a random one: random, its shape alone compared.
    assert steps[9]["random"] == ["tensorflow"] and steps[9]["missing"] == ["pytorch"]
    # What the loops print is kept, not compared.
    assert "loss" in steps[8]["cells"]["pytorch"]["printed"]
