"""Browser apps over giftsim: a live explorer of one model and a dashboard of a finished batch.

Both read only public state: the model's arrays, ledger, recorder, calendar and merchant
table for the explorer; :func:`sim.batch.load_results` for the dashboard. Start them with
``giftsim viz SCENARIO`` or ``giftsim viz results/<batch>``.
"""
