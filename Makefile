# Set-up is done by the targets themselves: `make demo` and `make test` work on a fresh Debian
# machine with Python 3.11 (system packages are installed with apt-get when missing).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := fonts-liberation2 libzbar0
TEST_PACKAGES := chromium libtiff-tools  # a real browser for review; tiffcp for TIFF variants
DEMO ?= demo-output
COMMITTEE := --committee "Nguyễn Thị Lan:Trưởng ban" --committee "Đỗ Văn Minh:Thành viên" \
  --committee "Hoàng Thu Trang:Thành viên"
MEMBERS := --member "Nguyễn Thị Lan:Trưởng ban" --member "Đỗ Văn Minh:Thành viên" \
  --member "Hoàng Thu Trang:Thành viên"

.PHONY: demo test test-fast lint setup system-packages test-packages benchmark clean translations

demo: setup
	rm -rf $(DEMO)
	$(BIN)/tinnhiem init $(DEMO)/so-khdt --roster samples/roster-small.csv \
	  --org "ỦY BAN NHÂN DÂN TỈNH BÌNH AN" --org "SỞ KẾ HOẠCH VÀ ĐẦU TƯ" \
	  --title "Hội nghị lấy phiếu tín nhiệm đối với cán bộ lãnh đạo, quản lý năm 2026" \
	  --date 2026-12-15 --place "Bình An" --summoned 40
	$(BIN)/tinnhiem print $(DEMO)/so-khdt --copies 40 -o $(DEMO)/so-khdt/phieu.pdf
	$(BIN)/tinnhiem init $(DEMO)/ubnd --roster samples/roster-large.xlsx \
	  --org "ỦY BAN NHÂN DÂN TỈNH BÌNH AN" \
	  --title "Hội nghị lấy phiếu tín nhiệm đối với người giữ chức vụ do Hội đồng nhân dân bầu" \
	  --date 2026-12-16 --place "Bình An" --summoned 45
	$(BIN)/tinnhiem print $(DEMO)/ubnd --copies 95 -o $(DEMO)/ubnd/phieu.pdf
	umask 077 && $(BIN)/tinnhiem committee $(DEMO)/ubnd $(MEMBERS) > $(DEMO)/ubnd-ma-thanh-vien.txt
	$(BIN)/tinnhiem simulate $(DEMO)/so-khdt --voters 38 -o $(DEMO)/so-khdt/scans \
	  --profile office --format pdf --seed 2026 --foreign 2
	$(BIN)/tinnhiem simulate $(DEMO)/ubnd --voters 40 -o $(DEMO)/ubnd/scans \
	  --profile rough --format tiff --seed 2026
	$(BIN)/tinnhiem scan $(DEMO)/so-khdt $(DEMO)/so-khdt/scans/scan.pdf
	$(BIN)/tinnhiem scan $(DEMO)/ubnd $(DEMO)/ubnd/scans/scan.tif
	$(BIN)/tinnhiem export $(DEMO)/so-khdt --readings
	$(BIN)/tinnhiem export $(DEMO)/ubnd --readings
	$(BIN)/tinnhiem simulate-review $(DEMO)/so-khdt --truth $(DEMO)/so-khdt/scans/truth.json
	$(BIN)/tinnhiem simulate-review $(DEMO)/ubnd --truth $(DEMO)/ubnd/scans/truth.json
	$(BIN)/tinnhiem tally $(DEMO)/so-khdt --present 38 --counted 40 $(COMMITTEE)
	$(BIN)/tinnhiem tally $(DEMO)/ubnd --present 42 --counted 40 $(COMMITTEE) > /dev/null
	$(BIN)/tinnhiem export $(DEMO)/so-khdt --audit -o $(DEMO)/so-khdt-audit.zip
	$(BIN)/tinnhiem audit $(DEMO)/so-khdt-audit.zip
	$(BIN)/tinnhiem audit $(DEMO)/ubnd
	@echo
	@echo "Demo outputs (readable by you only):"
	@echo "  $(DEMO)/so-khdt/phieu.pdf         ballots of the 5-person sample conference"
	@echo "  $(DEMO)/so-khdt/scans/scan.pdf    38 of them filled and scanned (office scanner)"
	@echo "  $(DEMO)/ubnd/phieu.pdf            ballots of the 55-person sample conference"
	@echo "  $(DEMO)/ubnd/scans/scan.tif       40 of them filled and scanned (rough handling)"
	@echo "  $(DEMO)/*/scans/truth.json        what a correct reader must find on every page"
	@echo "  $(DEMO)/*/readings.csv            what the reader found: every row, flag and score"
	@echo "  $(DEMO)/*/ket-qua/lan-01-.../     the minutes (PDF), results.xlsx and results.csv,"
	@echo "                                    after a simulated committee resolved the flags"
	@echo "  $(DEMO)/so-khdt-audit.zip         the audit archive of the first conference, verified"
	@echo "  $(DEMO)/*/conference.sqlite       the conference stores ('$(BIN)/tinnhiem status DIR')"
	@echo "  $(DEMO)/ubnd-ma-thanh-vien.txt  the committee's personal codes for the review page"
	@echo "Review page: $(BIN)/tinnhiem review $(DEMO)/ubnd   (then open http://127.0.0.1:8080/"
	@echo "  and log in with a code from $(DEMO)/ubnd-ma-thanh-vien.txt to record decisions)"
	@echo "Console over both: $(BIN)/tinnhiem serve $(DEMO)   (then open http://127.0.0.1:8080/)"

# The whole suite, one worker per core (CI: 2 cores); 'slow' end-to-end tests included. They
# start first (tests/conftest.py), and an idle worker takes tests waiting for another.
PYTEST := $(BIN)/python -m pytest -n auto --dist worksteal

test: setup
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(TEST_PACKAGES)"
	$(PYTEST)

# While developing: the suite without the tests marked slow (CI and 'make test' run them).
test-fast: setup
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(TEST_PACKAGES)"
	$(PYTEST) -m "not slow"

# The checks CI runs before the tests (.ci/run), and pre-commit before each commit.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

benchmark: setup
	$(BIN)/python benchmarks/print_speed.py
	$(BIN)/python benchmarks/simulate_speed.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/stamp.py
	$(BIN)/python benchmarks/count_accuracy.py
	$(BIN)/python benchmarks/independent_scans.py --mistakes

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | system-packages
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "error: Python 3.11 or newer is needed (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

system-packages:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then \
	    echo "warning: please install$$missing with your package manager"; exit 0; fi; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "Installing system packages:$$missing"; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

clean:
	rm -rf $(VENV) $(DEMO) build *.egg-info .pytest_cache

# The message catalogues (README: Languages): collect the English ids from the code and the
# templates, merge them into the Vietnamese catalogue (new ids come out empty or fuzzy: translate
# them, tests/test_translations.py fails until then), and compile it to the .mo that is shipped.
LOCALE := ballotgen/locale
translations: setup
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k N_ --no-location --sort-output \
	  --project tinnhiem --version 0.1.0 -o $(LOCALE)/tinnhiem.pot .
	$(BIN)/pybabel update -i $(LOCALE)/tinnhiem.pot -d $(LOCALE) -D tinnhiem -l vi \
	  --ignore-obsolete --width 100
	$(BIN)/pybabel compile -d $(LOCALE) -D tinnhiem --statistics
