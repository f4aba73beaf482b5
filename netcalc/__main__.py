"""`python -m netcalc`."""

from netcalc.cli import main

main()
