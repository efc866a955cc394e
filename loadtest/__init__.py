"""Load-testing support: synthetic data at scale (`manage.py generate_load_data`)
and the "fortunes" baseline page that `make bench` compares every page against."""
