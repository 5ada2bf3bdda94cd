# A thin layer over CMake: the README's two commands live here.
#   make run    install what is missing, build, serve samples/ on http://127.0.0.1:8080/
#   make test   install what is missing, build, run every test (plain and ASan+UBSan builds)

BUILD      ?= build
BUILD_ASAN ?= build-asan
PORT       ?= 8080
DATA       ?= tidepool-data

.PHONY: all deps build run test test-plain test-asan bench clean

all: build

deps:
	@./scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)

run: build
	./$(BUILD)/tidepool serve --port $(PORT) --bind 127.0.0.1 --jobs samples --data $(DATA)

test: deps test-plain test-asan

test-plain:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTP_WERROR=ON
	cmake --build $(BUILD)
	ctest --test-dir $(BUILD) --output-on-failure

test-asan:
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Asan -DTP_WERROR=ON
	cmake --build $(BUILD_ASAN)
	ctest --test-dir $(BUILD_ASAN) --output-on-failure

bench: build
	/usr/bin/python3 bench/bench.py ./$(BUILD)/tidepool
	/usr/bin/python3 bench/engine.py ./$(BUILD)/tidepool
	/usr/bin/python3 bench/api.py ./$(BUILD)/tidepool

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
