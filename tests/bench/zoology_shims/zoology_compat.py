"""Lets Zoology (written for pydantic 2) import on Debian's pydantic 1.10, for the speed peer only
(tests/bench/zoology_peer.py): validate_call becomes a pass-through decorator and model_dump /
model_dump_json map onto dict / json. Nothing here changes what a model computes."""
import pydantic

if not hasattr(pydantic, "validate_call"):
    def validate_call(function=None, **_options):
        return function if function is not None else (lambda f: f)

    pydantic.validate_call = validate_call
if not hasattr(pydantic.BaseModel, "model_dump"):
    pydantic.BaseModel.model_dump = lambda self, **options: self.dict(**options)
    pydantic.BaseModel.model_dump_json = lambda self, **options: self.json(**options)
