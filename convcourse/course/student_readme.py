"""The README students get in their bundle (``release.write_bundle``), in English.

A module of its own so that ``catalogs`` can extract it for translation without
importing ``release`` (which imports ``catalogs`` to translate the notebooks).
"""

__all__ = ["STUDENT_README"]

STUDENT_README = """\
# convcourse: your assignments

This folder holds your notebooks (`notebooks/<assignment>/`) and the `convcourse`
package they use.

## 1. Install (once)

Python 3.10 or newer; in this folder:

    python -m venv .venv
    . .venv/bin/activate                 # Windows: .venv\\Scripts\\activate
    pip install -e '.[student]'

That is numpy, scipy, matplotlib, scikit-learn, JupyterLab and what running a
notebook needs, nothing of the grader's.

## 2. Open the notebook

    JUPYTER_CONFIG_PATH=jupyter-config jupyter lab notebooks/
    # Windows: set JUPYTER_CONFIG_PATH=jupyter-config  then  jupyter lab notebooks/

Fill in every cell marked `# YOUR CODE HERE` and run the test cells below each
exercise: they say what is still wrong, and name the likely mistake when they
recognise it.  (`jupyter-config/` shows only the student tools of nbgrader,
should your instructor have you install it for its Validate button.)

## 3. Check before submitting

    convcourse check notebooks/01-convolution/01-convolution.ipynb

runs the whole notebook in a fresh kernel, as the grader will, and prints each
test cell's result (PASS, or FAIL with the diagnosis).  Hidden tests with other
cases decide the grade, so a PASS here is necessary, not sufficient.

## 4. Submit

Submit the notebook file as your instructor asks.  Keep its file name, and do
not delete, move or split cells: the grader finds your answers by their cells.
"""
