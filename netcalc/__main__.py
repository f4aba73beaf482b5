"""`python -m netcalc`."""

from netcalc.console import main

main()
