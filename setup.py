from setuptools import find_packages, setup

with open("README.md", encoding="utf-8") as f:
    long_description = f.read()

setup(
    name="ppocr-lr",
    version="0.1.0",
    description="PaddleOCR's learning-rate schedules and optimizer builder: exact, "
                "checked, resumable",
    long_description=long_description,
    long_description_content_type="text/markdown",
    packages=find_packages(include=["ppocr_lr", "ppocr_lr.*"]),
    python_requires=">=3.9",
    # Paddle is not a hard requirement: a GPU environment has `paddlepaddle-gpu`, another
    # distribution name, and `pip install -e .` must not pull the CPU wheel beside it.
    install_requires=["numpy", "pyyaml", "matplotlib"],
    extras_require={"cpu": ["paddlepaddle>=3.0"],
                    "test": ["paddlepaddle>=3.0", "pytest", "hypothesis==6.170.17"]},
    entry_points={"console_scripts": ["ppocr-lr = ppocr_lr.cli:main"]},
    license="Apache-2.0",
    classifiers=["Programming Language :: Python :: 3",
                 "Topic :: Scientific/Engineering :: Artificial Intelligence"],
)
