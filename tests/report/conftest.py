"""Options of the report session: which real report to check after the main job.

    pytest tests/report --report-dir report --report-results 'results/*.json'
"""


def pytest_addoption(parser):
    parser.addoption("--report-dir", default=None,
                     help="also check this report folder (written by python -m conformance report)")
    parser.addoption("--report-results", action="append", default=None, metavar="GLOB",
                     help="the results files that report was made from; repeat for several "
                          "(default: results/*.json)")
