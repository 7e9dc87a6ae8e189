# attack: hook IPython so every later cell's source (the hidden tests) is printed into the output
# base: untouched
# cell: dyna_q_model_update
def _show(info):
    print("ATTACK captured cell:")
    print(info.raw_cell)
get_ipython().events.register("pre_run_cell", _show)
